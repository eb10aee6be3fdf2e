//! Request and response models, one module per service. Response models tolerate unknown
//! fields; models that must round-trip (job settings) keep them.
