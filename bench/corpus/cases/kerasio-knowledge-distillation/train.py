"""Own re-write from the facts in meta.json (keras.io example: knowledge distillation, the teacher).

Teacher convnet on MNIST: Conv2D(256, 3, stride 2, same), LeakyReLU(0.2), MaxPooling2D(2, stride 1,
same), Conv2D(512, 3, stride 2, same), Flatten, Dense(10) logits; Adam (default rate), sparse
categorical crossentropy from logits, default batch size 32, 5 epochs, then evaluate on the test set.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(256, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
        layers.Conv2D(512, (3, 3), strides=(2, 2), padding="same"),
        layers.Flatten(),
        layers.Dense(10),
    ], name="teacher")
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST / 255, shape (N, 28, 28, 1), integer labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=5)
    model.evaluate(data["x_test"], data["y_test"])
