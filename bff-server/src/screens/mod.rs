//! Mobile screens assembled from several departments (打通信息孤岛: one screen, many departments).

pub mod home;
pub mod masking;
