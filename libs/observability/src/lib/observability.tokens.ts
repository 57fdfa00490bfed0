/** The app's logger (an AppLogger), provided by ObservabilityModule.forRoot. */
export const APP_LOGGER = Symbol('APP_LOGGER');
