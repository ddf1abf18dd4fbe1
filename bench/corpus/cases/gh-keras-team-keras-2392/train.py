"""Own re-write from the facts in meta.json (keras-team/keras#2392)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

INPUT_LENGTH = 100  # not stated in the source
INPUT_DIM = 4       # not stated in the source
HIDDEN_DIMS = 250   # not stated in the source


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(INPUT_LENGTH, INPUT_DIM)),
        layers.Conv1D(16, 10, activation="relu", kernel_initializer="random_uniform"),
        layers.MaxPooling1D(pool_size=2),
        layers.Conv1D(32, 8, activation="relu", kernel_initializer="random_uniform"),
        layers.MaxPooling1D(pool_size=2),
        layers.Flatten(),
        layers.Dense(HIDDEN_DIMS),
        layers.Dropout(0.25),
        layers.Activation("relu"),
        layers.Dense(1),
        layers.Activation("sigmoid"),
    ])
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adagrad(learning_rate=1.0, epsilon=1e-6),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=128, epochs=100, shuffle=True)
