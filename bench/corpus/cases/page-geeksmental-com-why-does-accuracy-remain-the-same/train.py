# Written for the TrainDoc corpus from the facts in meta.json (not the poster's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(1,)),
        layers.Dense(3, activation="relu"),
        layers.Dense(5, activation="relu"),
        layers.Dense(1, activation="relu"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x: raw integers in [0, 100000), y: 1 when x >= 50000
    model = build_model()
    model.fit(data["x"], data["y"], epochs=10, batch_size=5)
    model.evaluate(data["x"], data["y"])
