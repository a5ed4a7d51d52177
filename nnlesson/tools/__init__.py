"""Tools around the course: the command line (:mod:`~nnlesson.tools.cli`), the grader, the
slide builder, the notebook runner and the exercise generator. Nothing here is imported by
the library, the drawing code or the course content."""
