"""Own re-write from the facts in meta.json (keras.io example: time-series anomaly detection, Conv1D autoencoder)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(288, 1)),
        layers.Conv1D(32, 7, strides=2, padding="same", activation="relu"),
        layers.Dropout(0.2),
        layers.Conv1D(16, 7, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(16, 7, strides=2, padding="same", activation="relu"),
        layers.Dropout(0.2),
        layers.Conv1DTranspose(32, 7, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(1, 7, padding="same"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # standardized windows of 288 steps
    x = data["x_train"]
    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
    model.fit(x, x, epochs=50, batch_size=128, validation_split=0.1, callbacks=[stop])
