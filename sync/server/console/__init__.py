"""The web console for the people who run the building: the register, visit details,
statistics and exports (this package's data side), over what the Projector folds."""
