# Written for the TrainDoc corpus from the facts in meta.json (not the poster's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(3, 1)),
        layers.LSTM(1),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adagrad", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x: windows of 3 previous bits, y: next bit
    model = build_model()
    model.fit(data["x"], data["y"], batch_size=256, epochs=100, verbose=2)
