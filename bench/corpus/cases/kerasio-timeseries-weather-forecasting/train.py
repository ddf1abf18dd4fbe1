"""Own re-write from the facts in meta.json (keras.io example: weather forecasting with an LSTM)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inputs = keras.Input(shape=(120, 7))
    x = layers.LSTM(32)(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # windows of 120 hourly steps, 7 standardized features
    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    model.fit(data["x_train"], data["y_train"], batch_size=256, epochs=10,
              validation_data=(data["x_val"], data["y_val"]), callbacks=[stop])
