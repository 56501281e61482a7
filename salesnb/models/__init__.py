"""Models: conversion scoring, customer lifetime value, revenue forecasting."""
