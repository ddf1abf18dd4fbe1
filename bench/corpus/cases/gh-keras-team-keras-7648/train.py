"""Own re-write from the facts in meta.json (Keras mnist_cnn example, keras-team/keras#7648)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    # Keras 2.0's Adadelta defaulted to learning rate 1.0
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=128, epochs=12, verbose=1,
              validation_data=(data["x_test"], data["y_test"]))
