"""Own re-write from the facts in meta.json (keras.io example: involution, the convolution baseline)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, 3, padding="same"),
        layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same"),
        layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same"),
        layers.ReLU(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # CIFAR-10
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=256, epochs=20,
              validation_data=(data["x_test"], data["y_test"]))
