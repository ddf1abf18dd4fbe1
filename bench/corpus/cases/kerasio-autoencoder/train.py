"""Own re-write from the facts in meta.json (keras.io example: convolutional autoencoder on MNIST)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, activation="relu", padding="same")(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST images scaled to [0, 1]
    model = build_model()
    model.fit(data["x_train"], data["x_train"], epochs=50, batch_size=128, shuffle=True,
              validation_data=(data["x_test"], data["x_test"]))
