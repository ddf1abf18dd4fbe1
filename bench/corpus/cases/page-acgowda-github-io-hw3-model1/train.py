# Written for the TrainDoc corpus from the facts in meta.json (not the author's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(160, 160, 3)),
        layers.Conv2D(16, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(16, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # cats vs dogs, 160x160 RGB, raw 0-255 pixels, labels 0/1
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=20,
              validation_data=(data["x_val"], data["y_val"]))
