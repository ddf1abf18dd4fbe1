"""Own re-write from the facts in meta.json (keras.io example: multi-label classification of arXiv abstracts)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

VOCAB = 20498      # TF-IDF bigram features (max_tokens = counted vocabulary)
NUM_LABELS = 153   # placeholder, not stated in the part of the source read (number of distinct subject terms)


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(VOCAB,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(NUM_LABELS, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # TF-IDF vectors, multi-hot labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=20,
              validation_data=(data["x_val"], data["y_val"]))
