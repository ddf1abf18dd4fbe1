"""Own re-write from the facts in meta.json (keras.io example: 3D CNN on CT scans)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inputs = keras.Input((128, 128, 64, 1))
    x = inputs
    for filters in (64, 64, 128, 256):
        x = layers.Conv3D(filters, 3, activation="relu")(x)
        x = layers.MaxPool3D(2)(x)
        x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.ExponentialDecay(
        1e-4, decay_steps=100000, decay_rate=0.96, staircase=True)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  loss="binary_crossentropy", metrics=["acc"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # CT volumes rescaled to [0, 1], 128x128x64
    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_acc", patience=15)
    model.fit(data["x_train"], data["y_train"], batch_size=2, epochs=100, shuffle=True, verbose=2,
              validation_data=(data["x_val"], data["y_val"]), callbacks=[stop])
