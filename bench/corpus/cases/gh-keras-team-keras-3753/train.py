"""Own re-write from the facts in meta.json (keras-team/keras#3753)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_FEATURES = 16  # a 4x4 image patch flattened


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(16), layers.Activation("relu"),
        layers.Dense(8), layers.Activation("relu"),
        layers.Dense(1), layers.Activation("relu"),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=1024, epochs=500,
              validation_data=(data["x_test"], data["y_test"]), verbose=1)
