"""Own re-write from the facts in meta.json (keras.io example: timeseries classification from scratch).

Fully convolutional network on univariate series of length 500 (FordA, 2 classes): three blocks of
Conv1D(64, 3, same) + BatchNormalization + ReLU, GlobalAveragePooling1D, softmax output; Adam,
sparse categorical crossentropy, batch 32, up to 500 epochs with validation_split=0.2 and the
checkpoint / ReduceLROnPlateau / EarlyStopping callbacks on val_loss.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

SERIES_LENGTH = 500
NUM_CLASSES = 2


def build_model():
    inp = keras.Input(shape=(SERIES_LENGTH, 1))
    x = inp
    for _ in range(3):
        x = layers.Conv1D(64, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # z-normalised series (N, 500, 1), labels 0/1, shuffled
    callbacks = [
        keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=500, callbacks=callbacks,
              validation_split=0.2, verbose=1)
