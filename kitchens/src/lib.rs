//! The dish rack on Redis (chapter "Many kitchens"). Work in progress.
