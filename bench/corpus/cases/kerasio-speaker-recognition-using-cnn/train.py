"""Own re-write from the facts in meta.json (keras.io example: speaker recognition with a 1D CNN).

Five 1D residual blocks (1x1 Conv1D shortcut, 2-3 Conv1D(3) with ReLU, Add, ReLU, MaxPool1D(2)),
AveragePooling1D(3), Flatten, Dense 256 and 128 (ReLU), 5-way softmax; Adam (default rate),
sparse categorical crossentropy, inputs of shape (8000, 1), up to 100 epochs.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

NUM_CLASSES = 5


def residual_block(x, filters, convs):
    shortcut = layers.Conv1D(filters, 1, padding="same")(x)
    for _ in range(convs - 1):
        x = layers.Conv1D(filters, 3, padding="same")(x)
        x = layers.Activation("relu")(x)
    x = layers.Conv1D(filters, 3, padding="same")(x)
    x = layers.Add()([x, shortcut])
    x = layers.Activation("relu")(x)
    return layers.MaxPooling1D(pool_size=2, strides=2)(x)


def build_model():
    inp = keras.Input(shape=(8000, 1))
    x = residual_block(inp, 16, 2)
    x = residual_block(x, 32, 2)
    x = residual_block(x, 64, 3)
    x = residual_block(x, 128, 3)
    x = residual_block(x, 128, 3)
    x = layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # FFT-magnitude audio frames (8000, 1), integer speaker labels
    model = build_model()
    # batch_size is not recorded in meta.json; the Keras default is used
    model.fit(data["x_train"], data["y_train"], epochs=100,
              validation_data=(data["x_val"], data["y_val"]))
