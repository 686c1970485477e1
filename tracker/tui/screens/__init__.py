"""The app's screens: choosing a unit, my tasks, a task's detail, the update form, help."""
