"""Own re-write from the facts in meta.json (DLwP 1st ed. notebook 4.4, the bigger IMDB model)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(10000,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    # RMSprop with its default rate: not stated in the source beyond the string "rmsprop"
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # multi-hot vectors of 10000 words, 0/1 labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=20, batch_size=512,
              validation_data=(data["x_test"], data["y_test"]))
