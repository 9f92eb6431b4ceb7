"""The window and its controllers: the main window, the File, Export, Lessons and
View menus' work, autosave, the transport bar, and the user's settings."""
