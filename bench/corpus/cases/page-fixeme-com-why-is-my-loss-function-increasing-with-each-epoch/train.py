# Written for the TrainDoc corpus from the facts in meta.json (not the poster's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(1,)),
        layers.Dense(1),
    ])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x: 1.0 ... 20.0 (unscaled), y: x / 2
    model = build_model()
    model.fit(data["x"], data["y"], epochs=500)  # batch_size not stated in the source (default 32, one batch)
