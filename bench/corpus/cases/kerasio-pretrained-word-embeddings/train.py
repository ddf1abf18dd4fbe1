"""Own re-write from the facts in meta.json (keras.io example: pretrained GloVe embeddings, 20 Newsgroups)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

NUM_TOKENS = 20002
EMBED = 100


def build_model():
    inputs = keras.Input(shape=(200,), dtype="int32")  # 200-token sequences
    # GloVe 100d vectors are loaded into this layer before training; the source sets trainable=False
    x = layers.Embedding(NUM_TOKENS, EMBED, trainable=False)(inputs)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(20, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["acc"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=128, epochs=20,
              validation_data=(data["x_val"], data["y_val"]))
