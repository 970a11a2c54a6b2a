"""Where QtCore meets the model layer: the worker thread and the main-thread dispatcher."""
