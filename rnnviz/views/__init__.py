"""Qt views: each takes the session (or the lab), listens to its one change signal and
redraws itself.

``window/`` builds the main window and its controllers (they get the document, the window
state and a place for their actions, never the window itself); ``graph/``, ``plots/``,
``panels/`` and ``lab/`` are the panels; ``look/`` is how everything looks; ``binding`` is
how a view listens and ``worker`` runs long work off the GUI thread.
"""
