"""Own re-write from the facts in meta.json (DLwP 1st ed. notebook 3.5, IMDB MLP)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(10000,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # multi-hot vectors of 10000 words, 0/1 labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=20, batch_size=512,
              validation_data=(data["x_val"], data["y_val"]))
