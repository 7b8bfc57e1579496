"""Keras' data sets: ``mnist`` and ``fashion_mnist``, whose ``load_data()`` returns exactly what
Keras' does: ``((x_train, y_train), (x_test, y_test))``, uint8 images of shape (60000, 28, 28)
and (10000, 28, 28) with values 0 to 255, and uint8 labels. They are read from the IDX files on
this machine (nothing is downloaded): see :func:`humblenet.data.catalog.load_raw_images`.
"""

from humblenet.keras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
