# Written for the TrainDoc corpus from the facts in meta.json (not the answerer's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model(degree=3):
    model = keras.Sequential([
        keras.Input(shape=(degree + 1,)),
        layers.Dense(1),
    ])
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(0.1))
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x: columns x**0..x**3 for 1000 points in [-20, 20]; y: x**3
    model = build_model()
    model.fit(data["x"], data["y"], epochs=200)  # batch_size not stated in the source (default 32)
