"""Order recovery: problem orders to validated plans, executed as sagas through the shop (see `workflow`)."""
