"""Own re-write from the facts in meta.json (DLwP 1st ed. notebook 2.1, MNIST dense net)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # flattened images /255, one-hot labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=5, batch_size=128)
    print("test_acc:", model.evaluate(data["x_test"], data["y_test"])[1])
