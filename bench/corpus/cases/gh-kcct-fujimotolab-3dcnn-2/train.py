"""Own re-write from the facts in meta.json (kcct-fujimotolab/3DCNN#2, 3dcnn.py as of the issue)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

ROWS, COLS, DEPTH, CHANNELS = 32, 32, 10, 1   # script defaults (grayscale, --depth 10)
N_CLASSES = 101                               # script default --nclass; the poster's value is not stated


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(ROWS, COLS, DEPTH, CHANNELS)),
        layers.Conv3D(32, 3, padding="same", activation="relu"),
        layers.Conv3D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(pool_size=3, padding="same"),
        layers.Dropout(0.25),
        layers.Conv3D(64, 3, padding="same", activation="relu"),
        layers.Conv3D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(pool_size=3, padding="same"),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, kernel_initializer="random_normal", activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(N_CLASSES, kernel_initializer="random_normal"),
        layers.Activation("softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # raw 0-255 frames as float32, one-hot labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], validation_data=(data["x_test"], data["y_test"]),
              batch_size=128, epochs=100, verbose=1, shuffle=True)
