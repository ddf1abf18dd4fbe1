"""Own re-write from the facts in meta.json (tensorflow/tensor2tensor#1264)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_FEATURES = 40    # concatenated one-hot vectors, input shape (1029, 40)
N_OUTPUTS = 1029   # the poster used one softmax unit per sample


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(N_FEATURES,)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(N_OUTPUTS, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # y_train: normalized continuous targets, shape (1029,)
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=5)
