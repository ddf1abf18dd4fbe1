"""Own re-write from the facts in meta.json (the-deep-learners/deep-learning-illustrated#15, example 10.4)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(224, 224, 3)),
        layers.Conv2D(96, (11, 11), strides=(4, 4), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2)),
        layers.BatchNormalization(),
        layers.Conv2D(256, (5, 5), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2)),
        layers.BatchNormalization(),
        layers.Conv2D(256, (3, 3), activation="relu"),
        layers.Conv2D(384, (3, 3), activation="relu"),
        layers.Conv2D(384, (3, 3), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2)),
        layers.BatchNormalization(),
        layers.Flatten(),
        layers.Dense(4096, activation="tanh"),
        layers.Dropout(0.5),
        layers.Dense(4096, activation="tanh"),
        layers.Dropout(0.5),
        layers.Dense(17, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # oxflower17: 1360 images 224x224x3, one-hot labels
    model = build_model()
    model.fit(data["X"], data["Y"], batch_size=64, epochs=100, verbose=1,
              validation_split=0.1, shuffle=True)
