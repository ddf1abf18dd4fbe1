"""Own re-write from the facts in meta.json (keras-team/keras#4784)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    init = "random_uniform"
    model = keras.Sequential([
        keras.Input(shape=(106,)),
        layers.Dense(64, activation="relu", kernel_initializer=init),
        layers.Dense(32, activation="tanh", kernel_initializer=init),
        layers.Dense(12, activation="relu", kernel_initializer=init),
        layers.Dense(8, activation="sigmoid", kernel_initializer=init),
        layers.Dense(1, activation="relu", kernel_initializer=init),  # relu output, as in the source
    ])
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.SGD(learning_rate=0.0001, momentum=0.4),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=100, batch_size=300, verbose=1)
