"""Own re-write from the facts in meta.json (keras-team/keras#4404: the Keras 1.1 mnist_cnn example)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), padding="valid"),
        layers.Activation("relu"),
        layers.Conv2D(32, (3, 3)),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(10),
        layers.Activation("softmax"),
    ])
    # Keras 1 Adadelta default rate is 1.0
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST / 255, one-hot labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=128, epochs=12, verbose=1,
              validation_data=(data["x_test"], data["y_test"]))
