"""Own re-write from the facts in meta.json (geifmany/cifar-vgg#7, repository VGG for CIFAR-10)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers, regularizers

WD = 0.0005
BLOCKS = [(64, [0.3, None]), (128, [0.4, None]), (256, [0.4, 0.4, None]),
          (512, [0.4, 0.4, None]), (512, [0.4, 0.4, None])]


def build_model():
    model = keras.Sequential([keras.Input(shape=(32, 32, 3))])
    for filters, drops in BLOCKS:
        for rate in drops:
            model.add(layers.Conv2D(filters, 3, padding="same",
                                    kernel_regularizer=regularizers.l2(WD)))
            model.add(layers.Activation("relu"))
            model.add(layers.BatchNormalization())
            if rate:
                model.add(layers.Dropout(rate))
        model.add(layers.MaxPooling2D(2))
    model.add(layers.Dropout(0.5))
    model.add(layers.Flatten())
    model.add(layers.Dense(512, kernel_regularizer=regularizers.l2(WD)))
    model.add(layers.Activation("relu"))
    model.add(layers.BatchNormalization())
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10))
    model.add(layers.Activation("softmax"))
    # the source also used decay=1e-6, a legacy SGD argument
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    schedule = keras.callbacks.LearningRateScheduler(lambda e: 0.1 * 0.5 ** (e // 20))
    model.fit(data["x_train"], data["y_train"], batch_size=128, epochs=250,
              validation_data=(data["x_test"], data["y_test"]),
              callbacks=[schedule], verbose=2)
