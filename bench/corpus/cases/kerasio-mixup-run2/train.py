"""Own re-write from the facts in meta.json (keras.io example: mixup augmentation, small convnet)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # one-hot labels (mixed pairs in the mixup run)
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=64,  # batch size not stated in the part read
              epochs=10, validation_data=(data["x_val"], data["y_val"]))
