"""gradwalk: the application around the :mod:`autograd` engine, for learners of backprop.

* :mod:`gradwalk.cli`: the ``gradwalk`` command line (``python -m gradwalk``);
* :mod:`gradwalk.expr`: a safe parser of small expressions over named scalars;
* :mod:`gradwalk.lessons`: the worked examples' networks and numbers, written once
  (the text is ``docs/lessons.md``); :mod:`gradwalk.worked` computes them;
* :mod:`gradwalk.digits`: the digits experiments (``DigitsConfig``, ``train``, ``compare_*``);
* :mod:`gradwalk.plots`, :mod:`gradwalk.render`, :mod:`gradwalk.train`,
  :mod:`gradwalk.demo`: the pictures and the commands.

The library below (``autograd``, ``viz``) imports nothing from here.
Importing :mod:`gradwalk` itself imports nothing else.
"""

__version__ = "0.1.0"
