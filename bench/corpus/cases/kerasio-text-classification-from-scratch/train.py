"""Own re-write from the facts in meta.json (keras.io example: text classification from scratch)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

VOCAB = 20000
EMBED = 128
SEQ_LEN = 500


def build_model():
    inputs = keras.Input(shape=(SEQ_LEN,), dtype="int64")
    x = layers.Embedding(VOCAB, EMBED)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(128, 7, strides=3, padding="valid", activation="relu")(x)
    x = layers.Conv1D(128, 7, strides=3, padding="valid", activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # TextVectorization indices, 500 tokens per review
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=3,
              validation_data=(data["x_val"], data["y_val"]))
