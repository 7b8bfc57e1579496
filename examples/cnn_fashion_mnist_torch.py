"""A small convolutional network on Fashion-MNIST, written as PyTorch code (channels first).

The twin of ``examples/cnn_fashion_mnist.py``: the same network (two blocks of Conv2d 3×3,
BatchNorm2d, ReLU and MaxPool2d, then Linear 1568 -> 10; 20,586 weights) as an ``nn.Module``
subclass, trained by an explicit loop: ``loss.backward()``, ``optimizer.step()``,
``optimizer.zero_grad()`` over a torch-style ``DataLoader``; Adam at 0.002, a ``StepLR``
that divides the rate by 10 after three epochs; ``nn.CrossEntropyLoss`` on the logits. It
prints the loss as it goes, the test accuracy (about 0.91) and the time.

Run:
    python3 examples/cnn_fashion_mnist_torch.py            # 60,000 images, 4 epochs
    python3 examples/cnn_fashion_mnist_torch.py --quick    # 2,000 images, 1 epoch: a check
"""

from __future__ import annotations

import argparse
import sys
import time

import humblenet as torch
from humblenet import nn
from humblenet.data import DatasetNotFoundError, load_fashion_mnist
from humblenet.utils.data import DataLoader, TensorDataset


class SmallCNN(nn.Module):
    """(N, 1, 28, 28) images -> 10 scores (logits)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),  # (N, 16, 28, 28)
            nn.BatchNorm2d(16),  # each channel to mean 0, variance 1 over the batch
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 16, 14, 14): the largest of each 2×2 block
            nn.Conv2d(16, 32, kernel_size=3, padding=1),  # (N, 32, 14, 14)
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 32, 7, 7)
        )
        self.flatten = nn.Flatten()  # (N, 1568)
        self.classifier = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def train(loader, model, loss_fn, optimizer):
    model.train()  # batch norm uses the batch's statistics and updates its running ones
    for batch, (X, y) in enumerate(loader):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 200 == 0:
            print(f"  loss {loss.item():.4f}  [{batch * len(X):>5d}/{len(loader.dataset)}]")


def accuracy(loader, model):
    model.eval()  # batch norm now uses its running statistics
    correct = 0
    with torch.no_grad():
        for X, y in loader:
            correct += (model(X).argmax(1) == y).type(torch.float).sum().item()
    return correct / len(loader.dataset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 images, 1 epoch")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        data = load_fashion_mnist(channels="first")  # float32 (N, 1, 28, 28) in [0, 1]
    except DatasetNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    train_size, test_size, epochs = (2000, 500, 1) if args.quick else (None, None, args.epochs)
    training = TensorDataset(torch.from_numpy(data.x_train[:train_size]),
                             torch.from_numpy(data.y_train[:train_size]))  # fmt: skip
    test = TensorDataset(torch.from_numpy(data.x_test[:test_size]),
                         torch.from_numpy(data.y_test[:test_size]))  # fmt: skip
    torch.manual_seed(0)  # the initial weights and the shuffling
    train_loader = DataLoader(training, batch_size=64, shuffle=True)
    test_loader = DataLoader(test, batch_size=1000)
    model = SmallCNN()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    for epoch in range(epochs):
        print(f"epoch {epoch + 1}, learning rate {scheduler.get_last_lr()[0]:g}")
        train(train_loader, model, loss_fn, optimizer)
        scheduler.step()
    print(f"test accuracy: {accuracy(test_loader, model):.4f} ({len(test)} images)")
    print(f"time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
