"""Own re-write from the facts in meta.json (keras-team/keras#4994)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

MAX_WORDS = 20000      # from the keras pretrained_word_embeddings example the poster started from
SEQ_LEN = 1000
EMBED_DIM = 100
N_CLASSES = 20         # 20 Newsgroups


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(SEQ_LEN,)),
        layers.Embedding(MAX_WORDS + 1, EMBED_DIM, trainable=False),
        layers.LSTM(128, dropout=0.2, recurrent_dropout=0.2),
        layers.Dense(1),
        layers.Activation("sigmoid"),
        layers.Dense(N_CLASSES, activation="softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=1)
