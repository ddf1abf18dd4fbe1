"""Own re-write from the facts in meta.json (keras.io example: sequence-to-sequence addition with LSTMs)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

MAXLEN = 7     # 'ddd+ddd'
CHARS = 12     # digits, '+', space
DIGITS = 3


def build_model():
    model = keras.Sequential([
        keras.Input((MAXLEN, CHARS)),
        layers.LSTM(128),
        layers.RepeatVector(DIGITS + 1),
        layers.LSTM(128, return_sequences=True),
        layers.Dense(CHARS, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # one-hot characters, reversed queries
    model = build_model()
    for iteration in range(1, 30):  # one fit of 1 epoch per iteration, as in the source
        model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=1,
                  validation_data=(data["x_val"], data["y_val"]))
