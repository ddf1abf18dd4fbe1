"""Own re-write from the facts in meta.json (keras.io example: bidirectional LSTM on IMDB)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

VOCAB = 20000
MAXLEN = 200


def build_model():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(VOCAB, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # padded to MAXLEN tokens
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=2,
              validation_data=(data["x_val"], data["y_val"]))
