"""Own re-write from the facts in meta.json (intellipaat.com/community/17161, a Stack Overflow copy)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

# sizes the post names only by variable; placeholders of our own
NB_WORDS, EMBEDDING_DIM, SEQ_LEN = 20000, 300, 30
NUM_LSTM, NUM_DENSE, DROP_LSTM, DROP_DENSE, ACT = 200, 128, 0.25, 0.25, "relu"
NB_CLASSES = 19


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(SEQ_LEN,)),
        layers.Embedding(NB_WORDS, EMBEDDING_DIM, trainable=False),  # pretrained embedding_matrix in the post
        layers.LSTM(NUM_LSTM, dropout=DROP_LSTM, recurrent_dropout=DROP_LSTM),
        layers.Dropout(DROP_DENSE),
        layers.BatchNormalization(),
        layers.Dense(NUM_DENSE, activation=ACT),
        layers.Dropout(DROP_DENSE),
        layers.BatchNormalization(),
        layers.Dense(NB_CLASSES, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # one-hot labels (to_categorical), one class per sample
    model = build_model()
    model.fit(data["x_train"], data["y_train"], validation_data=(data["x_val"], data["y_val"]),
              epochs=200, batch_size=384, shuffle=True, verbose=1)
