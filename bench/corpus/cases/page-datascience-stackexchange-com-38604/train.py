# Written for the TrainDoc corpus from the facts in meta.json (not the poster's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x: MNIST flattened to 784, raw 0-255; y: integer digits 0-9
    model = build_model()
    model.fit(data["x"], data["y"], validation_split=0.33, verbose=1, epochs=10)  # batch_size not stated in the source (default 32)
