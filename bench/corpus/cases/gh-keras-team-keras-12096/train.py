"""Own re-write from the facts in meta.json (keras-team/keras#12096)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(225, 225, 1)),  # source: (1, 225, 225), channels first
        layers.Conv2D(96, (11, 11), activation="relu"),
        layers.MaxPooling2D(pool_size=(3, 3), strides=2),
        layers.Flatten(),
        layers.Dense(2, activation="relu"),  # relu output, as in the source
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=5)  # batch_size not stated in the source
