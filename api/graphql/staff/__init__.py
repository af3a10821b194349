"""Staff accounts kept by operators: userCreate, userDisable, userEnable,
userRoleSet and the ``users`` list."""
