"""Own re-write from the facts in meta.json (keras-team/keras#2330: the Keras imdb_lstm example)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

MAX_FEATURES = 20000
MAXLEN = 80  # the example's cut-off length (not restated in the issue)


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(MAXLEN,)),
        layers.Embedding(MAX_FEATURES, 128),
        layers.Dropout(0.2),  # Keras 1 Embedding(dropout=0.2)
        layers.LSTM(128, dropout=0.2, recurrent_dropout=0.2),
        layers.Dense(1),
        layers.Activation("sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=15,
              validation_data=(data["x_test"], data["y_test"]))
