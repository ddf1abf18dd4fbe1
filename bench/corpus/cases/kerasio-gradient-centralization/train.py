"""Own re-write from the facts in meta.json (keras.io example: gradient centralization, run without GC)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(300, 300, 3)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Dropout(0.5),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Dropout(0.5),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=128,  # not stated in the part read
              epochs=10)
