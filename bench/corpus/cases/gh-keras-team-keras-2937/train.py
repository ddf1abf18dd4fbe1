"""Own re-write from the facts in meta.json (keras-team/keras#2937: a run of the Keras 1
examples/cifar10_cnn.py, 200 epochs).

Two conv blocks (Conv 32 same + Conv 32, then Conv 64 same + Conv 64, each with ReLU, 2x2
max-pooling and Dropout 0.25), Flatten, Dense 512 ReLU, Dropout 0.5, Dense 10 softmax; categorical
crossentropy; inputs /255, one-hot labels, batches of 32 with real-time augmentation (shifts 0.1,
horizontal flips), CIFAR-10 test set as validation.
The optimizer is not recorded in meta.json: SGD(0.01, momentum 0.9, nesterov, decay 1e-6) is the
one the Keras 1 version of the example used at the time (it moved to RMSprop 1e-4 in 2017).
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, (3, 3), padding="same"), layers.Activation("relu"),
        layers.Conv2D(32, (3, 3)), layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), padding="same"), layers.Activation("relu"),
        layers.Conv2D(64, (3, 3)), layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512), layers.Activation("relu"), layers.Dropout(0.5),
        layers.Dense(10), layers.Activation("softmax"),
    ])
    # the Keras 1 example also passed decay=1e-6, a legacy SGD argument (lr / (1 + 1e-6 * step))
    sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    return model


if __name__ == "__main__":
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    data = np.load("data.npz")  # CIFAR-10 / 255, one-hot labels
    gen = ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1, horizontal_flip=True)
    model = build_model()
    model.fit(gen.flow(data["x_train"], data["y_train"], batch_size=32), epochs=200,
              validation_data=(data["x_test"], data["y_test"]))
