"""Own re-write from the facts in meta.json (keras-team/keras#7603: the Keras cifar10_cnn example)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    # the example's optimizer (2017): RMSprop(lr=0.0001, decay=1e-6)
    opt = keras.optimizers.RMSprop(learning_rate=1e-4)
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # CIFAR-10 scaled to [0, 1], one-hot labels
    model = build_model()
    gen = keras.preprocessing.image.ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1,
                                                       horizontal_flip=True)
    model.fit(gen.flow(data["x_train"], data["y_train"], batch_size=32),
              steps_per_epoch=len(data["x_train"]) // 32, epochs=800,
              validation_data=(data["x_test"], data["y_test"]))
